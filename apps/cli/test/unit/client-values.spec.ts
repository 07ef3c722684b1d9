// The command line keeps its own copy of the client's defaults and value lists so that --help
// loads no gRPC (src/client-values.ts); these must stay the client's.
import * as client from '@pairdb/client';
import { VIRTUAL_NODES_MAX } from '@pairdb/hashring';
import * as cli from '../../src/client-values';

describe('client values known to the command line', () => {
  it('defaults to the address the client connects to when given none', () => {
    expect(cli.ADDRESS_DEFAULT).toBe(client.ADDRESS_DEFAULT);
  });

  it('defaults to the deadline the client uses when given none', () => {
    expect(cli.TIMEOUT_MS_DEFAULT).toBe(client.TIMEOUT_MS_DEFAULT);
  });

  it('bounds --virtual-nodes where the hash ring does', () => {
    expect(cli.VIRTUAL_NODES_MAX).toBe(VIRTUAL_NODES_MAX);
  });

  it('accepts exactly the consistency levels and conflict resolutions the client does', () => {
    expect([...cli.CONSISTENCY_LEVELS].sort()).toEqual([...client.CONSISTENCY_LEVELS].sort());
    expect([...cli.CONFLICT_RESOLUTIONS].sort()).toEqual([...client.CONFLICT_RESOLUTIONS].sort());
  });
});
