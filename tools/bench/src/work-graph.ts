import type { FixtureImage } from '@taskforge/testing';

/**
 * One base and three variants doing what image builds do: fetch Debian package
 * lists, install a package from the mirror, compile and hash things.
 */
export function workGraph(runtime: string): FixtureImage[] {
  const work = (rounds: number) =>
    `RUN python3 -c "import functools, hashlib; print(functools.reduce(lambda h, _: hashlib.sha256(h).digest(), range(${rounds}), b'').hex())" > /work.txt`;
  const install = (pkg: string) => `RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ${pkg} >/dev/null && rm -rf /var/lib/apt/lists/*`;
  return [
    {
      dir: 'images/base',
      short: 'base',
      dockerfile: `FROM ${runtime}\n${install('make')}\n${work(3_000_000)}\nRUN python3 -m compileall -q /usr/lib/python3.11 >/dev/null || true\nCOPY base.txt /base.txt\n`,
      files: { 'base.txt': 'base\n' },
    },
    // What the variants of the next issue install: Debian packages from the mirror.
    ...[
      ['ds', 'python3-numpy'],
      ['web', 'python3-lxml python3-bs4'],
      ['code', 'git'],
    ].map(([short, pkg]) => ({
      dir: `images/variants/${short}`,
      short,
      dockerfile: `FROM {{image:base}}:1.0.0\n${install(pkg)}\n${work(3_000_000)}\nCOPY ${short}.txt /${short}.txt\n`,
      files: { [`${short}.txt`]: `${short}\n` },
    })),
  ];
}
