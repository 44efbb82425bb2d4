// Package taxonomy holds the MITRE ATLAS tactics and techniques and the OWASP
// Top 10 lists (LLM 2025, Agentic 2026, MCP) that findings refer to. The
// tables are generated into Go source by ./gen from the shared reference data;
// nothing is read at run time.
//
// Id formats: ATLAS "AML.T0010", "AML.T0010.001", "AML.TA0004"; OWASP LLM
// "LLM03:2025"; OWASP Agentic "ASI04"; OWASP MCP "MCP03".
package taxonomy

//go:generate go run ./gen -ref ../../../shared/reference -out zz_generated.go

// List names the list an entry belongs to.
type List string

// The lists the tables hold.
const (
	ListATLASTactic      List = "MITRE ATLAS tactic"
	ListATLASTechnique   List = "MITRE ATLAS technique"
	ListOWASPLLM2025     List = "OWASP Top 10 for LLM Applications 2025"
	ListOWASPAgentic2026 List = "OWASP Top 10 for Agentic Applications 2026"
	ListOWASPMCP         List = "OWASP MCP Top 10"
)

// Entry is one id and its name.
type Entry struct {
	ID   string
	Name string
	List List
}

// Technique is an ATLAS technique or sub-technique.
type Technique struct {
	Entry
	Tactics  []string // tactic ids; empty for sub-techniques
	Maturity string   // feasible, demonstrated, realized
}

// Lookup returns the entry for any known id (ATLAS tactic or technique, OWASP).
func Lookup(id string) (Entry, bool) {
	for _, e := range tactics {
		if e.ID == id {
			return e, true
		}
	}
	for _, t := range techniques {
		if t.ID == id {
			return t.Entry, true
		}
	}
	for _, e := range owaspEntries {
		if e.ID == id {
			return e, true
		}
	}
	return Entry{}, false
}

// Name returns the name of id, or "" when unknown.
func Name(id string) string {
	e, _ := Lookup(id)
	return e.Name
}

// Known reports whether id is in the tables.
func Known(id string) bool {
	_, ok := Lookup(id)
	return ok
}

// Tactics returns the ATLAS tactics in matrix order.
func Tactics() []Entry { return append([]Entry(nil), tactics[:]...) }

// Techniques returns the ATLAS techniques and sub-techniques.
func Techniques() []Technique { return append([]Technique(nil), techniques[:]...) }

// OWASP returns the OWASP entries of the three lists.
func OWASP() []Entry { return append([]Entry(nil), owaspEntries[:]...) }
