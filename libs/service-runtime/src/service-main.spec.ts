import { configFileFromArgs } from './service-main';

describe('configFileFromArgs', () => {
  it('takes --config FILE first, then PAIRDB_CONFIG, else nothing', () => {
    expect(configFileFromArgs(['--config', 'a.yaml'], { PAIRDB_CONFIG: 'b.yaml' })).toBe('a.yaml');
    expect(configFileFromArgs([], { PAIRDB_CONFIG: 'b.yaml' })).toBe('b.yaml');
    expect(configFileFromArgs([], { PAIRDB_CONFIG: '' })).toBeUndefined();
    expect(configFileFromArgs(['--verbose'], {})).toBeUndefined();
  });
});
