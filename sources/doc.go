// Package sources groups the profile sources profilegate can look contacts up in; each
// subpackage implements profile.Source for one kind of system.
package sources
