import { describeStateStore } from './conformance.js';
import { freshStore } from './helpers.js';

describeStateStore('local state file', (options = {}) => freshStore(options));
