import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFixtureWorkspace, type FixtureWorkspace, REPO_ROOT } from '@taskforge/testing';

/**
 * A workspace holding a copy of this repo's images under fresh names
 * (`openclaw-` becomes `fx-<suffix>-`), so building it is a true cold
 * build: no content tag of it exists in the engine or the registry.
 */
export function repoImagesUnderFreshNames(): FixtureWorkspace {
  const fixture = createFixtureWorkspace({ images: [] });
  cpSync(join(REPO_ROOT, 'images'), join(fixture.root, 'images'), {
    recursive: true,
    filter: (source) => !/\/(node_modules|__pycache__)(\/|$)/.test(source),
  });
  const rename = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) rename(path);
      else if (entry === 'image.json' || entry === 'Dockerfile') writeFileSync(path, readFileSync(path, 'utf8').replace(/openclaw-/g, `fx-${fixture.suffix}-`));
    }
  };
  rename(join(fixture.root, 'images'));
  return fixture;
}
