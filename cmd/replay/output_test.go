package main

import (
	"strings"
	"testing"
)

func TestPrintRows(t *testing.T) {
	headers := []string{"NAME", "VALUE"}
	rows := [][]string{{"a", "1"}, {"longer name", "two\twords"}, {"q", `say "hi", bye`}}
	tests := []struct {
		name, format, want string
	}{
		{"a table aligns columns and flattens tabs", outTable,
			"NAME         VALUE\na            1\nlonger name  two words\nq            say \"hi\", bye\n"},
		{"csv quotes what needs quoting", outCSV,
			"NAME,VALUE\na,1\nlonger name,two\twords\nq,\"say \"\"hi\"\", bye\"\n"},
		{"json is an array of objects keyed by header", outJSON,
			"[\n  {\n    \"NAME\": \"a\",\n    \"VALUE\": \"1\"\n  },\n  {\n    \"NAME\": \"longer name\",\n    \"VALUE\": \"two\\twords\"\n  },\n  {\n    \"NAME\": \"q\",\n    \"VALUE\": \"say \\\"hi\\\", bye\"\n  }\n]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sb strings.Builder
			if err := printRows(&sb, tt.format, headers, rows); err != nil {
				t.Fatal(err)
			}
			if sb.String() != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", sb.String(), tt.want)
			}
		})
	}
}

func TestCheckOutputRejectsUnknownFormats(t *testing.T) {
	if err := checkOutput("yaml", outTable, outJSON); err == nil || !strings.Contains(err.Error(), "table, json") {
		t.Errorf("err = %v, want it to list the allowed formats", err)
	}
	if err := checkOutput(outJSON, outTable, outJSON); err != nil {
		t.Errorf("json rejected: %v", err)
	}
}
