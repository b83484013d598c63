/**
 * Sealing secrets at rest: AES-256-GCM with the server key, a random 96-bit nonce per value,
 * and the value's identity (org and alias) as associated data, so a sealed value copied to
 * another row does not open. Sealed form: `v1.<nonce>.<tag>.<ciphertext>` (base64url).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const KEY_BYTES = 32;
export const KEY_FILE = 'secret-key';

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== KEY_BYTES) throw new Error(`The secret key must be ${KEY_BYTES} bytes.`);
    return new SecretBox(key);
  }

  seal(plain: string, context: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const parts = [nonce, cipher.getAuthTag(), body].map((b) => b.toString('base64url'));
    return `v1.${parts.join('.')}`;
  }

  /** Throws when the value was sealed with another key or for another context. */
  open(sealed: string, context: string): string {
    const [v, nonce, tag, body] = sealed.split('.');
    if (v !== 'v1' || nonce === undefined || tag === undefined || body === undefined)
      throw new Error('Not a sealed value.');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(body, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }
}

/**
 * The server key: from configuration (base64) when given, else `<dataDir>/secret-key`, which
 * the first start writes (mode 0600). Every process of one installation needs the same key.
 */
export function loadSecretKey(dataDir: string, configured: string | undefined): Buffer {
  if (configured !== undefined) {
    const key = Buffer.from(configured, 'base64');
    if (key.length !== KEY_BYTES)
      throw new Error(`RUNBOX_SECRET_KEY must be the base64 of ${KEY_BYTES} bytes.`);
    return key;
  }
  const file = join(dataDir, KEY_FILE);
  if (!existsSync(file)) {
    try {
      writeFileSync(file, randomBytes(KEY_BYTES).toString('base64') + '\n', {
        mode: 0o600,
        flag: 'wx',
      });
    } catch (err) {
      // Another process of this installation wrote it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    chmodSync(file, 0o600);
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`${file} does not hold a ${KEY_BYTES}-byte key.`);
  return key;
}
