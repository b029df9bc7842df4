import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { contextFromArgv, readCdktfJsonContext, resolveContext } from '../../config/context';

describe('context sources', () => {
  it('parses -c, --context and --context= pairs and rejects a bare key', () => {
    expect(
      contextFromArgv([
        '-c',
        'pr=12',
        '--context',
        'dev.paused=true',
        '--context=region=asia-northeast2',
        'synth',
      ]),
    ).toEqual({
      pr: '12',
      'dev.paused': 'true',
      region: 'asia-northeast2',
    });
    expect(() => contextFromArgv(['-c', 'pr'])).toThrow('context argument must be key=value, got "pr"');
  });

  it('layers CDKTF_CONTEXT_JSON under -c and explicit context', () => {
    const { context } = resolveContext({
      env: { CDKTF_CONTEXT_JSON: JSON.stringify({ pr: '1', 'dev.paused': true, region: 'from-cli' }) },
      argv: ['-c', 'pr=2'],
      context: { region: 'explicit' },
    });
    expect(context).toMatchObject({ pr: '2', 'dev.paused': true, region: 'explicit' });
  });

  it('reads the context of a cdktf.json, {} when the file is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdktf-json-'));
    try {
      writeFileSync(
        join(dir, 'cdktf.json'),
        JSON.stringify({ app: 'x', context: { 'staging.hibernated': true } }),
      );
      expect(readCdktfJsonContext(join(dir, 'cdktf.json'))).toEqual({ 'staging.hibernated': true });
      expect(readCdktfJsonContext(join(dir, 'absent.json'))).toEqual({});
      writeFileSync(join(dir, 'broken.json'), '{');
      expect(() => readCdktfJsonContext(join(dir, 'broken.json'))).toThrow(
        /cannot read the context of .*broken\.json/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
