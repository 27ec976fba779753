package store

// MatchQuery is the match index's lookup statement, for tests of its query plan.
var MatchQuery = matchQuery
