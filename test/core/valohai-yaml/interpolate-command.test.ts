import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { effectiveParameters, interpolateCommands } from '../../../core/valohai-yaml/interpolate-command.js';
import { loadValohaiYaml } from '../../../core/valohai-yaml/load-valohai-yaml.js';
import { shellQuote } from '../../../core/valohai-yaml/shell-quote.js';

function step(yaml: string) {
  return loadValohaiYaml('valohai.yaml', yaml).steps.get('s')!;
}

describe('command interpolation', () => {
  it("matches the old Valohai docs' example", () => {
    const s = step(`
- step:
    name: s
    image: x
    command: python train.py {parameters}
    parameters:
      - {name: max-steps, type: integer, default: 300}
      - {name: learning-rate, type: float, pass-as: "--lr={v}", default: 0.001}
      - {name: architecture, type: string, pass-as: "arc {v}", optional: true}
`);
    const result = interpolateCommands(s, effectiveParameters(s, { architecture: '10xRELU-SoftMax' }));
    expect(result).toEqual({ ok: true, commands: ['python train.py --max-steps=300 --lr=0.001 arc 10xRELU-SoftMax'] });
  });

  it('handles flags, named parameters, bare values and multiple values', () => {
    const s = step(`
- step:
    name: s
    image: x
    command:
      - echo {parameter:verbose} {parameter:dry}
      - echo {parameter-value:name} {parameter:tags} {parameter:ids}
      - echo \${HOME} {unknown} {parameters}
    parameters:
      - {name: verbose, type: flag, default: true}
      - {name: dry, type: flag, pass-true-as: --dry-run, pass-false-as: --for-real}
      - {name: name, type: string, default: "two words"}
      - {name: tags, type: string, multiple: repeat, default: [a, b]}
      - {name: ids, type: integer, multiple: separate, multiple-separator: ";", default: [1, 2]}
`);
    const result = interpolateCommands(s, effectiveParameters(s, {}));
    expect(result).toEqual({
      ok: true,
      commands: [
        'echo --verbose --for-real',
        "echo 'two words' --tags=a --tags=b '--ids=1;2'",
        "echo ${HOME} {unknown} --verbose --for-real '--name=two words' --tags=a --tags=b '--ids=1;2'",
      ],
    });
  });

  it('leaves unset optional parameters out', () => {
    const s = step(`
- step:
    name: s
    image: x
    command: run {parameters}
    parameters:
      - {name: maybe, type: string, optional: true}
      - {name: flag, type: flag}
`);
    expect(interpolateCommands(s, effectiveParameters(s, {}))).toEqual({ ok: true, commands: ['run'] });
  });

  it('names a parameter the command uses but the step does not define', () => {
    const s = step(`
- step:
    name: s
    image: x
    command: run {parameter:nope}
`);
    expect(interpolateCommands(s, {})).toEqual({ ok: false, message: expect.stringMatching(/parameter "nope"/) });
  });

  it('keeps a shell-injection payload a literal argument', () => {
    const hostile = '$(touch /tmp/pwned); rm -rf ~ `id` "quoted" \'single\' \n newline';
    const s = step(`
- step:
    name: s
    image: x
    command: printf '%s' {parameter-value:text}
    parameters:
      - {name: text, type: string}
`);
    const result = interpolateCommands(s, { text: hostile });
    if (!result.ok) throw new Error(result.message);
    expect(execFileSync('/bin/sh', ['-c', result.commands[0]!], { encoding: 'utf8' })).toBe(hostile);
  });

  it('shellQuote round-trips any string through /bin/sh', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')), (text) => {
        const echoed = execFileSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(text)}`], { encoding: 'utf8' });
        expect(echoed).toBe(text);
      }),
      { numRuns: 60 },
    );
  });

  it('parses time-limit durations', () => {
    const s = loadValohaiYaml('v.yaml', '- step: {name: s, image: x, command: c, time-limit: 1h 30m}').steps.get('s')!;
    expect(s['time-limit']).toBe(5400);
    expect(() => loadValohaiYaml('v.yaml', '- step: {name: s, image: x, command: c, time-limit: soon}')).toThrow(/not a duration/);
  });
});
