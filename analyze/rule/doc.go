// Package rule reads Falco-compatible rules: it owns source positions and
// the error type, the condition lexer and parser producing an AST, and the
// rules-file loader (lists, macros, rules, exceptions, append and override
// across several files). It does not know fields or types; analyze/cond
// checks and compiles the AST.
//
// Conditions follow this grammar (libsinsp's, including the newer
// transformer and modifier forms). Keywords are lower case; blanks are
// space, \t, \b, \r and \n; "and"/"or" must be followed by a blank or '(';
// word operators must be followed by a blank.
//
//	Expr          ::= OrExpr
//	OrExpr        ::= AndExpr ( 'or' ( Blank AndExpr | '(' Expr ')' ) )*
//	AndExpr       ::= NotExpr ( 'and' ( Blank NotExpr | '(' Expr ')' ) )*
//	NotExpr       ::= 'not' NotExpr | Check
//	Check         ::= '(' Expr ')'
//	                | Identifier                       (a macro)
//	                | Operand Condition
//	Operand       ::= Field | Transformer
//	Transformer   ::= TransformerName '(' TArg ( ',' TArg )* ')' ( '[' FieldArg ']' )?
//	TransformerName ::= 'tolower' | 'toupper' | 'b64' | 'basename' | 'len'
//	                | 'join' | 'concat' | 'getopt'
//	TArg          ::= Transformer | Field | QuotedStr | NumValue
//	                | '(' ( TListItem ( ',' TListItem )* )? ')'
//	Condition     ::= 'exists'
//	                | NumOperator ( NumValue | FieldOrTransformer )
//	                | StrOperator ( StrValue | FieldOrTransformer )
//	                | StrOperator Modifier ListValue
//	                | ListOperator ( ListValue | FieldOrTransformer )
//	FieldOrTransformer ::= Transformer | 'val(' Field ')'
//	ListValue     ::= '(' ( StrValue ( ',' StrValue )* )? ')' | Identifier
//	Field         ::= FieldName ( '[' FieldArg ']' )?
//	FieldArg      ::= QuotedStr | [^][\"' \t\r\n\b]+
//	NumValue      ::= 0[xX][0-9a-fA-F]+ | [+-]?[0-9]+(\.[0-9]*)?([eE][+-][0-9]+)?
//	StrValue      ::= QuotedStr | BareStr
//	NumOperator   ::= '<=' | '<' | '>=' | '>'
//	StrOperator   ::= '==' | '=' | '!=' | 'bcontains' | 'bstartswith' | 'contains'
//	                | 'endswith' | 'glob' | 'icontains' | 'iglob' | 'startswith' | 'regex'
//	Modifier      ::= 'oneof' | 'anyof' | 'allof'
//	ListOperator  ::= 'intersects' | 'in' | 'pmatch'
//	Identifier    ::= [a-zA-Z][a-zA-Z0-9_]*
//	FieldName     ::= Identifier ( '.' Identifier )+
//	QuotedStr     ::= '"' ( '\"' | [^"] )* '"' | "'" ( "\'" | [^'] )* "'"
//	BareStr       ::= [^()"' \t\r\n\b=,]+
//
// Named lists are not part of the grammar: the loader substitutes them
// into the condition text before parsing, as Falco does.
//
// Rules files are YAML sequences of items, loaded in order (several files
// act as one sequence):
//
//   - list: name, items. An item naming an earlier list is replaced by its
//     items. Every list is substituted, by name, wherever it appears
//     delimited in a macro or rule condition.
//   - macro: name, condition. A macro may use only macros defined before
//     it or before its latest append or override (items are numbered in
//     load order across kinds and files, as in Falco); a rule may use any
//     macro. Lists nest the same way, one level deep.
//   - rule: rule, desc, condition, output, priority, tags, enabled,
//     exceptions, source, warn_evttypes, skip-if-unknown-filter, capture,
//     capture_duration. Exceptions become "and not (...)" clauses.
//   - Redefining an item replaces it in place. "append: true" (deprecated)
//     or "override: {key: append|replace}" change an earlier item instead;
//     appended conditions are joined with a blank, so they start with
//     "and" or "or". An item with only rule and enabled switches a rule.
//   - required_engine_version and required_plugin_versions are recorded.
//
// Every problem is an *Error with the file, line and column (conditions
// map back through YAML folding, appends and list substitution); each file
// reports at most MaxErrors of them.
//
// Deliberate differences from Falco: loading goes on after an error to
// report them all (Falco stops at the first); keys Falco ignores without a
// word get a warning; a word operator may be followed by any blank (Falco
// wants a space); an identifier after a list operator is a one-item list.
package rule
