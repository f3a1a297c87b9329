// The test sandboxes enter their holder's namespaces through descriptors pinned once (see
// test/support/sandbox.ts): a holder in the host's own mount namespace is refused outright, so no
// DHCP client or installer a test starts can ever write the host's /etc, /run or /var/lib.
import { expect, it } from 'vitest';
import { pinNamespaces } from '../support/sandbox.js';

it("refuses to pin the host's mount namespace (this very process's)", () => {
  expect(() => pinNamespaces(process.pid, false)).toThrow(/is in the host's mount namespace/);
});
