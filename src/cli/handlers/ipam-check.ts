/**
 * `ipam check`: calicoctl's text streamed to stdout section by section (or a JSON summary), then
 * calicoctl's report with -o FILE. The text is printed before the report is written, so an
 * unwritable path costs the report, not the text (then one error line, exit 1).
 */
import { checkIPAM, type CheckSummary } from '../../ipam/check.js';
import { writeReportFile } from '../../ipam/report.js';
import { startProgress, type Progress } from '../../output/spinner.js';
import { clientVersion } from '../../version/client-version.js';
import { withDatastore, type DatastoreFlags } from '../datastore-session.js';
import { streamText, type CommandResult } from '../emit.js';

export interface IpamCheckFlags extends DatastoreFlags {
  output?: string;
  'show-all-ips': boolean;
  'show-problem-ips': boolean;
  json: boolean;
  kubeconfig?: string;
}

export type IpamCheckData = CheckSummary & { reportFile: string | null };

const PROGRESS_LABEL = 'Checking IPAM';

export async function runIpamCheck(
  flags: IpamCheckFlags,
  print: (text: string) => void = streamText,
): Promise<CommandResult<IpamCheckData>> {
  let label = PROGRESS_LABEL;
  let progress: Progress = startProgress(label);
  // The progress line shares the terminal with the streamed text: erase it before each section.
  const printSection = (text: string): void => {
    progress.stop();
    print(text);
    progress = startProgress(label);
  };
  try {
    const result = await withDatastore(flags, (ds) =>
      checkIPAM(ds, {
        showAllIPs: flags['show-all-ips'],
        showProblemIPs: flags['show-problem-ips'],
        version: clientVersion(),
        print: flags.json ? () => undefined : printSection,
        keepReport: flags.output !== undefined,
        collect: flags.json,
        progress: (next) => {
          label = next;
          progress.update(next);
        },
      }),
    );
    progress.stop();
    if (flags.output !== undefined && result.report) {
      writeReportFile(flags.output, result.report.head, result.report.write);
    }
    return { data: { ...result.summary, reportFile: flags.output ?? null }, json: flags.json };
  } finally {
    progress.stop();
  }
}
