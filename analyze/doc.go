// Package analyze is the replay side of rewind: it turns a recording back
// into enriched events and runs detection rules over them. Its
// subpackages are state (process-table reconstruction), fields (the field
// catalog that conditions and outputs read), rule and cond (the rule
// language) and engine (rule execution, alerts and rule tests).
package analyze
