// Writes oclif.manifest.json after the build so the CLI does not import every command at start-up
// (what `oclif manifest` does; the oclif CLI package itself is not needed for it).
import { writeFileSync } from 'node:fs';
import { Plugin } from '@oclif/core/config';

const root = new URL('..', import.meta.url).pathname;
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
await plugin.load();
writeFileSync(new URL('../oclif.manifest.json', import.meta.url), JSON.stringify(plugin.manifest, null, 2));
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`);
