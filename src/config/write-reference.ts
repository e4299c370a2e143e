// `npm run docs`: writes docs/CONFIG.md from the configuration schema.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configReference } from './reference.js';

export const CONFIG_MD = fileURLToPath(new URL('../../../docs/CONFIG.md', import.meta.url));

writeFileSync(CONFIG_MD, configReference());
process.stdout.write(`wrote ${CONFIG_MD}\n`);
