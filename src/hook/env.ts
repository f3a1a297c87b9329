// The environment a DHCP client hands the hook: names and values off the wire, nothing trusted
// until event.ts, event6.ts or lease.ts has checked it. A module of its own so that the readers
// share the type without importing each other.
export type Env = Readonly<Record<string, string | undefined>>;
