/**
 * @llmr/provider-anthropic — Anthropic's Messages API as an llmr ModelV1, over fetch and
 * Server-Sent Events.
 */
export {
  AnthropicMessagesModel,
  type AnthropicModelSettings,
} from './anthropic-messages-model';
export {
  ANTHROPIC_VERSION,
  type AnthropicProvider,
  type AnthropicSettings,
  anthropic,
  asRouterProvider,
  createAnthropic,
} from './anthropic-provider';
export { AnthropicStreamState } from './anthropic-stream-state';
export {
  type AnthropicContentBlock,
  type AnthropicMessage,
  toAnthropicBody,
  toAnthropicMessages,
} from './convert-to-anthropic';
export { mapStopReason, mapUsage } from './map-anthropic-response';
