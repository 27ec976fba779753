// Package header renders the customer header an agent desktop shows before the agent accepts
// a contact: the name from the configured name traits, a secondary trait such as "Customer
// since" formatted the way Flex formats dates, the avatar, and the "New Contact" badge.
package header
