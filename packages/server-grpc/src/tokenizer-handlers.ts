/** TokenizerService: a served model's tokenizer, when the backend can lend it. */
import { admit, type GrpcContext, RefusalSignal } from './grpc-context';
import { unary } from './unary-call';

/** UNIMPLEMENTED: the backend cannot lend a tokenizer. */
function unsupported(): RefusalSignal {
  return new RefusalSignal({
    status: 501,
    body: {
      error: {
        message:
          "This server's backend does not expose tokenizers, so Tokenize and Detokenize are unavailable. Serve through a backend with tokenize() and detokenize() (the router backend has them).",
        type: 'server_error',
        param: null,
        code: 'not_implemented',
      },
    },
  });
}

export function createTokenizerHandlers(context: GrpcContext) {
  const { backend } = context;
  return {
    Tokenize: unary<{ model: string; text: string; add_special_tokens: boolean }>(async (call) => {
      await admit(context, call);
      if (!backend.tokenize) throw unsupported();
      const { modelId, tokens } = await backend.tokenize(
        call.request.model || 'auto',
        call.request.text,
        {
          addSpecialTokens: call.request.add_special_tokens,
        },
      );
      return { model: modelId, tokens };
    }),
    Detokenize: unary<{ model: string; tokens: number[]; skip_special_tokens: boolean }>(
      async (call) => {
        await admit(context, call);
        if (!backend.detokenize) throw unsupported();
        const { modelId, text } = await backend.detokenize(
          call.request.model || 'auto',
          call.request.tokens,
          {
            skipSpecialTokens: call.request.skip_special_tokens,
          },
        );
        return { model: modelId, text };
      },
    ),
  };
}
