/** The worker script the tests bundle for workerd; kernels.wasm is linked beside it. */

import { createEdgeWorker } from '../index';
import kernels from './kernels.wasm';

export default createEdgeWorker({ kernels });
