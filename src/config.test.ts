import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('scale-out settings', () => {
  it('migrates, waits 10 s on shutdown and retries the store at most 10 s apart by default', () => {
    expect(loadConfig({})).toMatchObject({
      migrate: true,
      shutdownGraceMs: 10_000,
      storeRetryCapMs: 10_000,
    });
  });

  it('reads RUNBOX_MIGRATE, RUNBOX_SHUTDOWN_GRACE_MS and RUNBOX_STORE_RETRY_MAX_MS; --no-migrate wins', () => {
    const env = {
      RUNBOX_MIGRATE: '0',
      RUNBOX_SHUTDOWN_GRACE_MS: '2500',
      RUNBOX_STORE_RETRY_MAX_MS: '500',
    };
    expect(loadConfig(env)).toMatchObject({
      migrate: false,
      shutdownGraceMs: 2_500,
      storeRetryCapMs: 500,
    });
    expect(loadConfig({ RUNBOX_MIGRATE: 'yes' }, { migrate: false }).migrate).toBe(false);
  });

  it('refuses a grace or retry cap that is not a non-negative number, naming the variable', () => {
    for (const name of ['RUNBOX_SHUTDOWN_GRACE_MS', 'RUNBOX_STORE_RETRY_MAX_MS']) {
      for (const bad of ['soon', '-1']) {
        expect(() => loadConfig({ [name]: bad })).toThrow(
          `${name} must be a non-negative number, got "${bad}"`,
        );
      }
    }
  });
});

describe('the worker health port', () => {
  it('is off unless given; the flag wins over RUNBOX_WORKER_HEALTH_PORT', () => {
    expect(loadConfig({}).workerHealthPort).toBeUndefined();
    expect(loadConfig({ RUNBOX_WORKER_HEALTH_PORT: '' }).workerHealthPort).toBeUndefined();
    expect(loadConfig({ RUNBOX_WORKER_HEALTH_PORT: ' ' }).workerHealthPort).toBeUndefined();
    expect(loadConfig({ RUNBOX_WORKER_HEALTH_PORT: '9090' }).workerHealthPort).toBe(9090);
    const both = loadConfig({ RUNBOX_WORKER_HEALTH_PORT: '9090' }, { healthPort: '9191' });
    expect(both.workerHealthPort).toBe(9191);
  });

  it('refuses anything but a port number, naming the variable', () => {
    for (const bad of ['soon', '0x50', '-1', '70000', '80.5']) {
      expect(() => loadConfig({ RUNBOX_WORKER_HEALTH_PORT: bad })).toThrow(
        /RUNBOX_WORKER_HEALTH_PORT must be a port number/,
      );
    }
  });
});
