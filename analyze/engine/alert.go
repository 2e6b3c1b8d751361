package engine

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
)

// Alert is one rule match.
type Alert struct {
	Time     int64 // event time, ns since the epoch
	Rule     string
	Priority string
	// Output is the rule's output rendered for the event (without the
	// time and priority prefix that Text adds).
	Output string
	// OutputFields holds every field the output prints, with its value
	// ("<NA>" when missing), in the order the output names them.
	OutputFields []FieldValue
	Tags         []string
	Hostname     string
	Source       string
	// Pid and EventNum locate the triggering event in the recording.
	Pid      int32
	EventNum uint64
}

// FieldValue is one entry of Alert.OutputFields.
type FieldValue struct {
	Name  string
	Value string // as printed; "<NA>" when missing
	// JSON says how JSON output writes the value: as a string, or as a
	// bare number or boolean for fields of those types (as Falco does).
	JSON JSONKind
}

// JSONKind is how a field value is written in JSON output.
type JSONKind uint8

// The JSON value forms.
const (
	JSONString JSONKind = iota
	JSONNumber
	JSONBool
)

// Field returns the value the output printed for name.
func (a *Alert) Field(name string) (string, bool) {
	for _, f := range a.OutputFields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

const clockLayout = "15:04:05.000000000"

// Text renders the alert like Falco's text output:
// "HH:MM:SS.nnnnnnnnn: Priority output".
func (a *Alert) Text() string {
	return time.Unix(0, a.Time).UTC().Format(clockLayout) + ": " + a.Priority + " " + a.Output
}

// jsonAlert is Falco's JSON alert shape.
type jsonAlert struct {
	Hostname     string        `json:"hostname"`
	Output       string        `json:"output"`
	OutputFields orderedFields `json:"output_fields"`
	Priority     string        `json:"priority"`
	Rule         string        `json:"rule"`
	Source       string        `json:"source"`
	Tags         []string      `json:"tags"`
	Time         string        `json:"time"`
}

// orderedFields marshals as a JSON object keeping the output's order.
type orderedFields []FieldValue

func (o orderedFields) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(jsonString(f.Name))
		b.WriteByte(':')
		switch {
		case f.Value == "<NA>":
			b.WriteString("null")
		case f.JSON == JSONNumber && isJSONNumber(f.Value), f.JSON == JSONBool && (f.Value == "true" || f.Value == "false"):
			b.WriteString(f.Value)
		default:
			b.Write(jsonString(f.Value))
		}
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func isJSONNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && s != "" && s[0] != '+' && !strings.ContainsAny(s, "xXinfINFN")
}

func jsonString(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// JSON renders the alert as one JSON object shaped like Falco's JSON
// output (time in RFC 3339 with nanoseconds, UTC).
func (a *Alert) JSON() ([]byte, error) {
	tags := a.Tags
	if tags == nil {
		tags = []string{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // Falco prints -> and <NA> as they are
	err := enc.Encode(jsonAlert{
		Hostname:     a.Hostname,
		Output:       a.Text(),
		OutputFields: a.OutputFields,
		Priority:     a.Priority,
		Rule:         a.Rule,
		Source:       a.Source,
		Tags:         tags,
		Time:         time.Unix(0, a.Time).UTC().Format("2006-01-02T15:04:05.000000000Z"),
	})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

// WriteText writes the alert as one text line.
func (a *Alert) WriteText(w io.Writer) error {
	_, err := io.WriteString(w, a.Text()+"\n")
	return err
}

// WriteJSON writes the alert as one JSON line.
func (a *Alert) WriteJSON(w io.Writer) error {
	b, err := a.JSON()
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}
