/**
 * @llmr/engine-ort/testing — fixtures the ONNX engines' tests share. Needs @llmr/convert
 * (an optional peer dependency) for its graph builder.
 */
export { tinyGraph } from './tiny-graph';
