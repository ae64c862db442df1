import { NESTED_REGISTRY_PORTS, nestedEnginePaths, parseEngineChoice } from '../src';
import { refuseNestedEnvironment } from '../src/nested-environment';

const ENGINES = "accepted values are 26.1 (Debian 13 trixie's docker.io 26.1.5) and 28.5 (Debian unstable's docker.io 28.5.2)";

const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('expected an error');
};

describe('parseEngineChoice', () => {
  it.each([
    ['no flags: the host engine, as before', [], undefined],
    ['an engine, classic by default', ['--engine=28.5'], { engine: '28.5', store: 'classic' }],
    ['an engine and a store', ['--engine=28.5', '--store=containerd'], { engine: '28.5', store: 'containerd' }],
    ['values after a space', ['--engine', '26.1', '--store', 'containerd'], { engine: '26.1', store: 'containerd' }],
  ])('%s', (_case, args, expected) => {
    expect(parseEngineChoice(args)).toEqual(expected);
  });

  it.each([
    [['--engine=29.0'], `--engine=29.0 is not an engine engine:up can start: ${ENGINES}.`],
    [['--engine=28.5.2'], `--engine=28.5.2 is not an engine engine:up can start: ${ENGINES}.`],
    [['--engine=28.5', '--store=zfs'], '--store=zfs is not an image store: accepted values are classic and containerd.'],
    [['--store=containerd'], `--store=containerd needs --engine (the host engine's store is its own): ${ENGINES}.`],
    [['--engine'], '--engine needs a value, e.g. --engine=28.5 --store=containerd.'],
    [['--engine', '--store=classic'], '--engine needs a value, e.g. --engine=28.5 --store=containerd.'],
    [['--engnie=28.5'], 'Unknown option "--engnie=28.5": engine:up and engine:down take --engine=<engine> and --store=<store>, e.g. --engine=28.5 --store=containerd.'],
  ])('%j: one line naming the value and what is accepted', (args, message) => {
    expect(errorOf(() => parseEngineChoice(args))).toEqual({ name: 'UserError', message });
  });
});

describe('the nested engines', () => {
  it('have registry ports of their own, none the host registry 5000', () => {
    const ports = Object.values(NESTED_REGISTRY_PORTS);
    expect(new Set(ports).size).toBe(4);
    expect(ports).not.toContain(5000);
  });

  it('refuse to start, as a library call, from an environment whose DOCKER_HOST or IMAGE_REGISTRY names a nested engine', () => {
    const refusal = (setting: string) => ({
      name: 'UserError',
      message: `${setting} names a nested engine, and nested engines run on the host engine: run \`unset DOCKER_HOST IMAGE_REGISTRY\` first.`,
    });
    const socket = `unix://${nestedEnginePaths('28.5-containerd').socket}`;
    expect(errorOf(() => refuseNestedEnvironment({ DOCKER_HOST: socket }))).toEqual(refusal(`DOCKER_HOST=${socket}`));
    expect(errorOf(() => refuseNestedEnvironment({ IMAGE_REGISTRY: '127.0.0.1:5286' }))).toEqual(refusal('IMAGE_REGISTRY=127.0.0.1:5286'));
    expect(() => refuseNestedEnvironment({ DOCKER_HOST: 'unix:///var/run/docker.sock', IMAGE_REGISTRY: 'localhost:5000' })).not.toThrow();
  });
});
