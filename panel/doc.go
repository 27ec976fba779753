// Package panel serves the agent panel at /panel: a small page, every file embedded in the
// binary, that shows what an agent sees for an inbound address (the customer header with its
// avatar, secondary trait, "New Contact" badge and a picker when a number matches several
// people; the Details tab's groups with each value's source and age on hover; the History
// tab's timeline, paged as the agent scrolls and filtered by kind and channel) and lets the
// agent search by identifier. It speaks only the public GraphQL API at /query, under a strict
// Content-Security-Policy: no inline script, nothing from another origin but avatars.
package panel
