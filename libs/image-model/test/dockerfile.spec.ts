import { dockerfileWithout, readDockerfileImages } from '../src';

const references = (text: string, args?: Record<string, string>) => readDockerfileImages(text, args).uses.map((use) => use.reference);

describe('readDockerfileImages', () => {
  it('reads a plain FROM with its line', () => {
    expect(readDockerfileImages('# comment\n\nFROM openclaw-base:1.0.0\nRUN true\n').uses).toEqual([
      { reference: 'openclaw-base:1.0.0', line: 3, instruction: 'FROM' },
    ]);
  });

  it('substitutes the default of a global ARG in FROM, in every ${} form', () => {
    const text = 'ARG REG=localhost:5000\nARG IMAGE=openclaw-python:1.0.0\nFROM ${IMAGE}\nFROM $REG/tool:${TAG:-2}\nFROM x${EMPTY:+never}y\n';
    expect(references(text)).toEqual(['openclaw-python:1.0.0', 'localhost:5000/tool:2', 'xy']);
  });

  it('lets a build argument from the image definition override the ARG default', () => {
    expect(references('ARG PY=openclaw-python:1.0.0\nFROM $PY\n', { PY: 'python:3.11-slim-bookworm' })).toEqual(['python:3.11-slim-bookworm']);
  });

  it('remembers the ARG whose Dockerfile default is the whole reference, where its name is written', () => {
    const text = 'ARG REG=localhost:5000\nARG BASE=${REG}/openclaw-base:1.0.0\nFROM ${BASE}\nFROM $REG/tool:1\n';
    expect(readDockerfileImages(text).uses).toEqual([
      { reference: 'localhost:5000/openclaw-base:1.0.0', line: 3, instruction: 'FROM', arg: { name: 'BASE', line: 2 } },
      { reference: 'localhost:5000/tool:1', line: 4, instruction: 'FROM' },
    ]);
    // A build argument from image.json is not written in the Dockerfile: no ARG line to point at.
    expect(readDockerfileImages(text, { BASE: 'openclaw-base:2.0.0' }).uses[0]).not.toHaveProperty('arg');
  });

  it('does not take a stage name for an image in multi-stage files', () => {
    const text = [
      'FROM openclaw-base:1.0.0 AS builder',
      'RUN make',
      'FROM --platform=linux/amd64 builder AS tested',
      'FROM scratch',
      'COPY --from=builder /out /out',
      'COPY --from=0 /a /a',
      'COPY --from=openclaw-tools:2 /bin/tool /bin/tool',
    ].join('\n');
    expect(readDockerfileImages(text).uses).toEqual([
      { reference: 'openclaw-base:1.0.0', line: 1, instruction: 'FROM' },
      { reference: 'openclaw-tools:2', line: 7, instruction: 'COPY --from' },
    ]);
  });

  it('reads images mounted in RUN and continued lines', () => {
    const text = 'FROM debian\nRUN --mount=type=bind,from=openclaw-cache:1,target=/c \\\n    ls /c\n';
    expect(readDockerfileImages(text).uses.map((u) => [u.reference, u.line, u.instruction])).toEqual([
      ['debian', 1, 'FROM'],
      ['openclaw-cache:1', 2, 'RUN --mount'],
    ]);
  });

  it('ignores FROM-looking lines inside heredocs and honours the escape directive', () => {
    const heredoc = 'FROM a\nRUN <<EOF\nFROM not-an-image\nEOF\nFROM b\n';
    expect(references(heredoc)).toEqual(['a', 'b']);
    const backtick = '# escape=`\nFROM c `\n  AS d\nFROM d\n';
    expect(references(backtick)).toEqual(['c']);
  });
});

// HEALTHCHECK --start-interval came with Docker 25 (API 1.44); Docker 20.10's built-in frontend stops at it with
// "Unknown flag: start-interval", so a build there takes it out (dockerfileWithout) and keys the image apart.
describe('newer-engine features', () => {
  const features = (text: string) => readDockerfileImages(text).features;

  it.each([
    ['HEALTHCHECK --interval=3s --start-interval=250ms CMD ["true"]', ['healthcheck-start-interval']],
    ['healthcheck --start-interval=1s \\\n  --retries=2 CMD true', ['healthcheck-start-interval']],
    ['HEALTHCHECK --interval=3s \\\n    --start-interval=250ms \\\n    CMD ["/bin/check"]', ['healthcheck-start-interval']],
    ['HEALTHCHECK --interval=3s --start-period=5s CMD ["true"]', []],
    ['HEALTHCHECK NONE', []],
    ['HEALTHCHECK CMD ["echo", "--start-interval=1s"]', []],
    ['RUN echo --start-interval=1s', []],
  ])('%j uses %j', (text, expected) => {
    expect(features(`FROM scratch\n${text}\n`)).toEqual(expected);
  });

  it('takes the flag out and nothing else, keeping every line where it was', () => {
    const text = [
      'FROM scratch',
      'HEALTHCHECK --interval=3s --timeout=3s --start-period=5s --start-interval=250ms --retries=2 CMD ["/usr/bin/python3", "-I", "-m", "agent.health"]',
      'HEALTHCHECK --interval=3s \\',
      '    --start-interval=250ms \\',
      '    CMD ["/bin/check", "--start-interval=1s"]',
      'RUN echo --start-interval=1s',
      '',
    ].join('\n');
    expect(dockerfileWithout(text, ['healthcheck-start-interval'])).toBe(
      [
        'FROM scratch',
        'HEALTHCHECK --interval=3s --timeout=3s --start-period=5s --retries=2 CMD ["/usr/bin/python3", "-I", "-m", "agent.health"]',
        'HEALTHCHECK --interval=3s \\',
        ' \\',
        '    CMD ["/bin/check", "--start-interval=1s"]',
        'RUN echo --start-interval=1s',
        '',
      ].join('\n'),
    );
    expect(features(dockerfileWithout(text, ['healthcheck-start-interval']))).toEqual([]);
    expect(dockerfileWithout(text, [])).toBe(text);
  });
});
