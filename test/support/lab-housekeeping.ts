// The vitest side of a lab suite, kept out of lab.ts so that the demo can use the lab without vitest.
import { afterAll, afterEach, expect } from 'vitest';
import { leftoverNamespaces, type Lab } from './lab.js';

/**
 * Register a lab suite's housekeeping: on a failed scenario, print the lab's state; at the end,
 * destroy the lab and make sure no namespace of it is left.
 */
export function labHousekeeping(lab: () => Lab | undefined): void {
  afterEach((ctx) => {
    const l = lab();
    if (ctx.task.result?.state === 'fail' && l) console.error(l.failureReport(ctx.task.name));
  });
  afterAll(async () => {
    await lab()?.destroy();
    expect(leftoverNamespaces(), 'namespaces left behind').toEqual([]);
  });
}

