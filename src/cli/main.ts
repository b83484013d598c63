import { projectPath } from '../project-root.js';
import { readFileSync } from 'node:fs';
import { Command, Help } from 'commander';
import { registerAdmin } from './admin-commands.js';
import { registerApps } from './apps-commands.js';
import { registerBatches } from './batch-commands.js';
import { registerDeployments } from './deployment-commands.js';
import { reportError } from './exit-codes.js';
import { registerJobs } from './jobs-commands.js';
import { registerLogin } from './login-commands.js';
import { registerReview } from './review-commands.js';
import { registerRun } from './run-command.js';
import { registerRuns } from './runs-commands.js';
import { registerSecrets } from './secret-commands.js';
import { registerServe } from './serve-command.js';

// Read here rather than from main.ts, which loads the whole server.
const { version } = JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as {
  version: string;
};

/** Exit codes: see exit-codes.ts (0 ok, 1 run/job failed, 2 usage, 3 server or network). */
const program = new Command()
  .name('runbox')
  .description('Runbox: a self-hosted runs server for automation apps, and its command line.')
  .version(version)
  .showHelpAfterError('(add --help for usage)')
  // A subcommand's help lists the options it inherits (--json, --profile, …) too.
  .configureHelp({
    showGlobalOptions: true,
    // …but not --version: it only works before the command.
    visibleGlobalOptions(cmd) {
      return Help.prototype.visibleGlobalOptions
        .call(this, cmd)
        .filter((o) => o.long !== '--version');
    },
  })
  .addHelpText(
    'after',
    `
Where the API is: --api-root/--token/--context, else RUNBOX_API_ROOT/RUNBOX_TOKEN/RUNBOX_CONTEXT,
over the profile from --profile or RUNBOX_PROFILE (else the default one) saved by \`runbox login\`
in $XDG_CONFIG_HOME/runbox/config.json; with none, http://127.0.0.1:8080/api and the local
install's admin token (<RUNBOX_DATA_DIR or ./.runbox>/admin-token).

Exit codes: 0 done; 1 the run or job ended FAILED or CANCELLED; 2 usage error;
3 the server refused the request (its message and type are printed) or could not be reached.`,
  )
  .exitOverride();

registerLogin(program);
registerApps(program);
registerBatches(program);
registerRun(program);
registerRuns(program);
registerJobs(program);
registerDeployments(program);
registerSecrets(program);
registerReview(program);
registerServe(program);
registerAdmin(program);
// Only `runbox`'s own options (--version, --help) must come before the command, so that
// `run APP --version 1.2.0` is the app's version; set after the commands are added so that
// they do not inherit it (`admin … --json` keeps working after the subcommand).
program.enablePositionalOptions();

// `runbox runs list | head` closes stdout early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const debug = process.argv.includes('--debug') || Boolean(process.env.RUNBOX_DEBUG);
try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exit(reportError(err, debug));
}
