// Package match decides whether a record belongs to a trace: under which
// key it holds which id, and which other ids (linked ids) it carries.
package match
