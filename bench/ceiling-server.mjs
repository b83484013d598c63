// A bare Fastify server with nothing behind its routes: what one Node process on this machine
// answers at most, the ceiling every Runbox request figure sits under. Prints its port.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const status = { id: '0190e3b1-7c1a-7d2e-9f00-000000000000', status: 'COMPLETE', files: 1 };
app.get('/status', async () => status);
app.post('/runs', async (req) => ({ ...status, input: req.body }));
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(app.server.address().port);
