/**
 * @llmr/pytorch/testing — writes checkpoints with real PyTorch (`torch.save` through a Python
 * that has torch) for tests of readers and converters. Node only.
 */
export {
  runTorchScript,
  type TorchDtype,
  type TorchSaveOptions,
  torchPython,
  torchSave,
} from './torch-python';
