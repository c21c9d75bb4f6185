// n8n-core writes its instance settings under the user folder: keep tests out of the real ~/.n8n.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

if (!process.env.N8N_USER_FOLDER) {
	process.env.N8N_USER_FOLDER = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-images-test-'));
}
process.env.N8N_ENCRYPTION_KEY ??= 'test-encryption-key';
