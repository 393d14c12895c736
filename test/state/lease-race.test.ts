import { join } from 'node:path';
import type { LeaseResult } from '../../state/items.js';
import { LocalStateStore } from '../../state/local.js';
import { exited, forkScript, nextMessage, tempFolder } from './helpers.js';

const ROUNDS = 50;

/** A child that, for each `round` message, tries to take the lease of table `t<round>` and answers with the result. */
const racer = `
  import { LocalStateStore } from 'ROOT/state/local.ts';
  const [folder, who] = process.argv.slice(2);
  const store = new LocalStateStore(folder);
  process.on('message', async (round) => {
    if (round === 'stop') return process.disconnect();
    const result = await store.acquireLease('race', 't' + round, 'run-' + round + '-' + who, new Date(), 60000);
    process.send(result);
  });
  process.send('ready');
`;

describe('State: lease across processes', () => {
  it(`gives the lease to exactly one of two processes racing for it, ${ROUNDS} times`, async () => {
    // Prepare
    const folder = join(await tempFolder(), 'state');
    const children = await Promise.all(['a', 'b'].map((who) => forkScript(racer, [folder, who])));
    await Promise.all(children.map((child) => nextMessage(child)));

    // Act
    const rounds: LeaseResult[][] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const answers = children.map((child) => nextMessage<LeaseResult>(child));
      for (const child of children) child.send(round);
      rounds.push(await Promise.all(answers));
    }
    for (const child of children) child.send('stop');
    await Promise.all(children.map((child) => exited(child)));

    // Assess
    const store = new LocalStateStore(folder);
    for (const [round, answers] of rounds.entries()) {
      const winners = answers.filter((answer) => answer.acquired);
      const losers = answers.filter((answer) => !answer.acquired);
      expect(winners).toHaveLength(1);
      const holder = (await store.getTableState('race', `t${round}`)).activeRun?.runId;
      expect(losers).toEqual([expect.objectContaining({ acquired: false, heldBy: holder })]);
    }
  });
});
