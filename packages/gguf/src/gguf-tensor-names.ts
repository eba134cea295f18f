/**
 * Hugging Face Llama-family tensor names and their llama.cpp (GGUF) names, in one place
 * for the converter that writes them and the runtimes that read them back.
 */

const LAYER_TENSORS: Record<string, string> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'self_attn.q_proj.weight': 'attn_q.weight',
  'self_attn.q_proj.bias': 'attn_q.bias',
  'self_attn.k_proj.weight': 'attn_k.weight',
  'self_attn.k_proj.bias': 'attn_k.bias',
  'self_attn.v_proj.weight': 'attn_v.weight',
  'self_attn.v_proj.bias': 'attn_v.bias',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'self_attn.q_norm.weight': 'attn_q_norm.weight',
  'self_attn.k_norm.weight': 'attn_k_norm.weight',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'mlp.gate_proj.weight': 'ffn_gate.weight',
  'mlp.up_proj.weight': 'ffn_up.weight',
  'mlp.down_proj.weight': 'ffn_down.weight',
  // BitNet's sub-norms: 1bitLLM's names, then transformers' BitNet names.
  'self_attn.inner_attn_ln.weight': 'attn_sub_norm.weight',
  'mlp.ffn_layernorm.weight': 'ffn_sub_norm.weight',
  'self_attn.attn_sub_norm.weight': 'attn_sub_norm.weight',
  'mlp.ffn_sub_norm.weight': 'ffn_sub_norm.weight',
};

/** HF tensor name -> GGUF tensor name, or undefined for tensors llama.cpp does not use. */
export function ggufTensorName(name: string): string | undefined {
  if (name === 'model.embed_tokens.weight') return 'token_embd.weight';
  if (name === 'model.norm.weight') return 'output_norm.weight';
  if (name === 'lm_head.weight') return 'output.weight';
  const match = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
  if (!match) return undefined;
  const mapped = LAYER_TENSORS[match[2]!];
  return mapped ? `blk.${match[1]}.${mapped}` : undefined;
}
