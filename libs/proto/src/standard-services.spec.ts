import * as grpc from '@grpc/grpc-js';
import { checkHealth, COORDINATOR_SERVICE_NAME, listServices, STORAGE_SERVICE_NAME } from './index';
import { addStandardServices } from './standard-services';

describe('standard services', () => {
  let server: grpc.Server;
  let address: string;
  let standard: ReturnType<typeof addStandardServices>;

  beforeAll(async () => {
    server = new grpc.Server();
    standard = addStandardServices(server, [COORDINATOR_SERVICE_NAME]);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => server.forceShutdown());

  it('answers grpc.health.v1 Check with NOT_SERVING until marked SERVING', async () => {
    expect(await checkHealth(address, COORDINATOR_SERVICE_NAME)).toBe('NOT_SERVING');
    standard.setServing(true);
    expect(await checkHealth(address, COORDINATOR_SERVICE_NAME)).toBe('SERVING');
    expect(await checkHealth(address)).toBe('SERVING');
    standard.setServing(false);
    expect(await checkHealth(address)).toBe('NOT_SERVING');
  });

  it('answers NOT_FOUND for a service it does not know', async () => {
    await expect(checkHealth(address, 'no.such.Service')).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });

  it('lists through server reflection exactly the services it serves, not the whole descriptor set', async () => {
    const listed = await listServices(address);
    expect([...listed].sort()).toEqual([COORDINATOR_SERVICE_NAME, 'grpc.health.v1.Health'].sort());
    expect(listed).not.toContain(STORAGE_SERVICE_NAME);
  });
});
