import { ConfigError, type FloeConfig } from '../config/index.js';
import { LocalStateStore } from '../state/index.js';

/**
 * The state store named by the config's `state`, for commands that only read it.
 * Only a local folder works today; `dynamodb` is refused with a message that says so.
 */
export function openLocalState(config: FloeConfig, command: string): LocalStateStore {
  if (config.state === 'dynamodb' || config.state.startsWith('dynamodb://')) {
    throw new ConfigError(`state ${config.state}: ${command} reads a local state folder only; dynamodb is not supported yet`);
  }
  return new LocalStateStore(config.state);
}
