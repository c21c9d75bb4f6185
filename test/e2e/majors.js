'use strict';

/** The n8n majors to test: N8N_E2E_MAJORS=2,1 (default both), e.g. N8N_E2E_MAJORS=2 for 2.x only. */
function selectedMajors() {
	const raw = process.env.N8N_E2E_MAJORS === undefined ? '2,1' : process.env.N8N_E2E_MAJORS;
	const majors = raw
		.split(/[\s,]+/)
		.map((major) => major.trim().replace(/^v/i, '').replace(/\.x$/i, ''))
		.filter(Boolean);
	for (const major of majors) {
		if (major !== '1' && major !== '2') {
			throw new Error(`N8N_E2E_MAJORS="${raw}": unknown n8n major "${major}" (use 2, 1 or 2,1)`);
		}
	}
	if (majors.length === 0) throw new Error(`N8N_E2E_MAJORS="${raw}" names no n8n major (use 2, 1 or 2,1)`);
	return [...new Set(majors)];
}

module.exports = { selectedMajors };
