// `srcroute flush`: remove every rule and route that carries srcroute's protocol number, in
// every table, for every interface. The uninstaller runs it; an admin can too.
import { execute, type Report } from './apply.js';
import { loadConfig, type Deps } from './hook.js';
import { planDown } from './plan.js';
import { stateOf, stateQueries } from './state.js';

export async function runFlush(deps: Deps, dry: boolean, report: Report): Promise<void> {
  const config = loadConfig(deps, null);
  await execute(
    deps.ip(config),
    stateQueries(config, 'all'),
    (answers) => planDown(stateOf(answers, config, 'all'), config),
    dry,
    report,
  );
}
