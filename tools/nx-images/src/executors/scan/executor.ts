import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { imageNames, imageSettingsOf, projectLine } from '@taskforge/image-build';
import { imageSbom } from '@taskforge/sbom';
import { parseJsonText, UserError } from '@taskforge/user-errors';
import { imageVulnerabilityVerdict, parseVulnerabilityDatabaseSettings, verdictReport } from '@taskforge/vulnerability-scan';
import { projectOutputPath } from '../../project-output-file';
import { projectExecutor } from '../executor-context';
import type { ScanExecutorOptions } from './schema';

const EXAMPLE = '{ "format": "debian-security-tracker", "path": "<the tracker\'s JSON export>", "release": "bookworm", "failOn": "high" }';

function readSbomFile(root: string, path: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolve(root, path), 'utf8');
  } catch (error) {
    throw new UserError(`--sbom=${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give a CycloneDX JSON SBOM, as the sbom target writes.`);
  }
  return parseJsonText(text, `--sbom=${path}`, 'give a CycloneDX JSON SBOM, as the sbom target writes');
}

/** Scans the image of the current sources (its content tag, which build-image made or reused), or --sbom, and gates on the findings. */
export default projectExecutor<ScanExecutorOptions>(async (run, options, context) => {
  const settings = parseVulnerabilityDatabaseSettings(imageSettingsOf(context.nxJsonConfiguration as never)?.vulnerabilityDatabase);
  if (!settings) throw new UserError(`nx.json: the @taskforge/nx-images plugin has no "vulnerabilityDatabase" option; add one to its options, e.g. ${EXAMPLE}.`);
  const task = run.task();
  const image = task.workspace.projects.get(run.project)!.definition.name;

  const reference = imageNames(task, run.project).content;
  const sbom = options.sbom ? readSbomFile(context.root, options.sbom) : await imageSbom(await run.engine(), reference);
  const verdict = await imageVulnerabilityVerdict(sbom, {
    settings,
    workspaceRoot: context.root,
    image,
    project: run.project,
    // The image's purl names its registry digest once it was pushed.
    subject: (sbom as { metadata?: { component?: { purl?: string } } }).metadata?.component?.purl,
    failOn: options.failOn,
    sbomName: options.sbom ?? `the SBOM of ${reference}`,
  });

  const output = options.output ? resolve(context.root, options.output) : projectOutputPath(context.root, run.project, 'vulnerability-verdict.json');
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, `${JSON.stringify(verdict, null, 2)}\n`);

  const report = verdictReport(verdict, { project: run.project, waiverFile: settings.waivers });
  const conclusion = report.pop()!;
  for (const line of report) {
    if (verdict.blockingLines.includes(line)) console.error(projectLine(run.project, line));
    else run.print(line);
  }
  run.print(`verdict -> ${relative(context.root, output)}`);
  if (verdict.passed) run.print(conclusion);
  else console.error(projectLine(run.project, `ERROR: ${conclusion}`));
  return verdict.passed;
});
