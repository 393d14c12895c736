import { join } from 'node:path';
import type { SlotGrant } from '../../state/items.js';
import { exited, forkScript, nextMessage, tempFolder } from './helpers.js';

const PROCESSES = 4;
const ROUNDS = 25;
const LIMIT = 3;

/** A child that asks for 2 of the source's slots on 'acquire' and gives them back on 'release', answering each. */
const holder = `
  import { LocalStateStore } from 'ROOT/state/local.ts';
  const [folder, who, limit] = process.argv.slice(2);
  const store = new LocalStateStore(folder);
  process.on('message', async (message) => {
    if (message === 'stop') return process.disconnect();
    if (message === 'acquire') process.send(await store.acquireSourceSlots('clr', who, 2, Number(limit), new Date(), 600000));
    else process.send(await store.releaseSourceSlots('clr', who).then(() => 'released'));
  });
  process.send('ready');
`;

describe('State: source connection slots across processes', () => {
  it(`grants exactly the limit of ${LIMIT} to ${PROCESSES} processes asking at once, ${ROUNDS} times`, async () => {
    // Prepare
    const folder = join(await tempFolder(), 'state');
    const children = await Promise.all(Array.from({ length: PROCESSES }, (_, i) => forkScript(holder, [folder, `p${i}`, String(LIMIT)])));
    await Promise.all(children.map((child) => nextMessage(child)));
    const ask = async <T>(message: string): Promise<T[]> => {
      const answers = children.map((child) => nextMessage<T>(child));
      for (const child of children) child.send(message);
      return Promise.all(answers);
    };

    // Act: every round, all ask at once and hold what they got until all have answered
    const rounds: SlotGrant[][] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      rounds.push(await ask<SlotGrant>('acquire'));
      await ask('release');
    }
    for (const child of children) child.send('stop');
    await Promise.all(children.map((child) => exited(child)));

    // Assess: 2 + 1 + 0 + 0 in some order, never more; the last answer of a round lists them all
    for (const grants of rounds) {
      expect(grants.map((grant) => grant.granted).sort()).toEqual([0, 0, 1, 2]);
      expect(Math.max(...grants.map((grant) => grant.holders.reduce((sum, held) => sum + held.slots, 0)))).toBe(LIMIT);
    }
  });
});
