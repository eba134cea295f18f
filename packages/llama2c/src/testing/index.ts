/**
 * @llmr/llama2c/testing — writes llama2.c checkpoints with llama2.c's own export functions
 * (under a Python that has torch) and tokenizer.bin files, for tests. Node only.
 */
export { exportLlama2c, writeLlama2cTokenizer } from './llama2c-export';
