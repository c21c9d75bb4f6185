/**
 * Turns on n8n's own SSRF protection for the test file that imports this first: n8n reads its
 * configuration once, when its container first builds it. The API server's address stays allowed.
 */
process.env.N8N_SSRF_PROTECTION_ENABLED = 'true';
process.env.N8N_SSRF_ALLOWED_IP_RANGES = '127.0.0.1/32';

export {};
