/**
 * A ModelV1 over an ONNX decoder session: the shared decode loop of @llmr/decoder with the
 * ONNX names (format `onnx`, error codes `onnx-*`).
 */
import { createDecoderModel, type DecoderModel, type DecoderModelSettings } from '@llmr/decoder';

export type OnnxModelSettings = Omit<DecoderModelSettings, 'format' | 'runtime'>;
export type OnnxModel = DecoderModel;

export function createOnnxModel(settings: OnnxModelSettings): OnnxModel {
  return createDecoderModel({ ...settings, format: 'onnx', runtime: '@llmr/loader-onnx' });
}
