/**
 * @llmr/kernels-wasm — the hot kernels of a Llama decoder (matmul over f32/f16/q8_0/q4_0,
 * RMSNorm, RoPE, softmax, SiLU) in Rust for wasm32 SIMD128, with a pure TypeScript
 * fallback picked at run time, over one linear memory with a small allocator.
 */
export { type CreateKernelsOptions, createKernels, hasWasmSimd } from './create-kernels';
export {
  type GrowableMemory,
  KERNEL_ALIGNMENT,
  KernelMemory,
  type KernelMemoryStats,
  KernelOutOfMemoryError,
} from './kernel-memory';
export { type KernelBackend, type Kernels, rowBytes } from './kernels';
export { arrayBufferMemory, createTypescriptKernels } from './typescript-kernels';
export { createWasmKernels, kernelsWasmBytes } from './wasm-kernels';
