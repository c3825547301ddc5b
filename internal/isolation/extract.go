package isolation

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/app"
)

// Mode is what an access does to a partition.
type Mode int

// Access modes.
const (
	Read Mode = 1 << iota
	Write
	ReadWrite = Read | Write
)

func (m Mode) String() string {
	switch m {
	case Read:
		return "read"
	case Write:
		return "write"
	case ReadWrite:
		return "read/write"
	}
	return "none"
}

// Access is one partition that one DynamoDB operation reaches.
type Access struct {
	Operation string
	Index     string // "" for the table itself
	Partition Partition
	// SK is the item's sort key (SKExact) or the begins_with prefix of a
	// Query's key condition; "" when the access may reach the whole partition
	// (or the access is to an index, whose sort keys rules do not look at).
	SK      string
	SKExact bool
	Mode    Mode
	// Item is the item a Put writes, nil otherwise.
	Item map[string]types.AttributeValue
	// Creates is set for a Put that requires that no item with its key exists.
	Creates bool
}

func (a Access) String() string {
	s := a.Operation + " " + a.Partition.Raw
	if a.Index != "" {
		s += " on " + a.Index
	}
	switch {
	case a.SKExact:
		s += " SK " + a.SK
	case a.SK != "":
		s += " SK " + a.SK + "…"
	}
	return s
}

// accesses lists the partitions an operation's input reaches. problems
// names inputs the checker cannot vouch for (a Scan, a key condition without
// a partition key, an operation it does not know): each is a violation.
func accesses(op string, input any) (out []Access, problems []string) {
	table := func(key map[string]types.AttributeValue, mode Mode) {
		a := Access{Operation: op, Mode: mode, SKExact: true}
		a.Partition = ParsePartition(s(key[app.AttrPK]))
		a.SK = s(key[app.AttrSK])
		out = append(out, a)
	}
	put := func(item map[string]types.AttributeValue, cond *string) {
		a := Access{Operation: op, Mode: Write, SKExact: true, Item: item}
		a.Partition = ParsePartition(s(item[app.AttrPK]))
		a.SK = s(item[app.AttrSK])
		a.Creates = cond != nil && strings.Contains(*cond, "attribute_not_exists(PK)")
		out = append(out, a)
	}
	switch in := input.(type) {
	case *dynamodb.GetItemInput:
		table(in.Key, Read)
	case *dynamodb.PutItemInput:
		put(in.Item, in.ConditionExpression)
	case *dynamodb.UpdateItemInput:
		table(in.Key, Write)
	case *dynamodb.DeleteItemInput:
		table(in.Key, Write)
	case *dynamodb.QueryInput:
		a, err := query(in)
		if err != nil {
			problems = append(problems, err.Error())
			break
		}
		out = append(out, a)
	case *dynamodb.BatchGetItemInput:
		for _, ka := range in.RequestItems {
			for _, k := range ka.Keys {
				table(k, Read)
			}
		}
	case *dynamodb.BatchWriteItemInput:
		for _, reqs := range in.RequestItems {
			for _, r := range reqs {
				switch {
				case r.PutRequest != nil:
					put(r.PutRequest.Item, nil)
				case r.DeleteRequest != nil:
					table(r.DeleteRequest.Key, Write)
				}
			}
		}
	case *dynamodb.TransactGetItemsInput:
		for _, it := range in.TransactItems {
			if it.Get != nil {
				table(it.Get.Key, Read)
			}
		}
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				put(it.Put.Item, it.Put.ConditionExpression)
			case it.Update != nil:
				table(it.Update.Key, Write)
			case it.Delete != nil:
				table(it.Delete.Key, Write)
			case it.ConditionCheck != nil:
				table(it.ConditionCheck.Key, Read)
			}
		}
	case *dynamodb.ScanInput:
		problems = append(problems, "Scan reads every partition of the table (DESIGN.md §4: reads are GetItem or Query, never Scan)")
	default:
		problems = append(problems, fmt.Sprintf("%s is not an operation the checker understands (%T)", op, input))
	}
	return out, problems
}

var (
	equality   = regexp.MustCompile(`(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)`)
	beginsWith = regexp.MustCompile(`begins_with\s*\(\s*(#?[A-Za-z0-9_]+)\s*,\s*(:[A-Za-z0-9_]+)\s*\)`)
)

// query returns the partition a Query reaches: the value its key condition
// requires of the partition key (PK, or the index's partition key), and the
// sort key equality or begins_with prefix when it has one.
func query(in *dynamodb.QueryInput) (Access, error) {
	a := Access{Operation: "Query", Mode: Read}
	pkAttr, skAttr := app.AttrPK, app.AttrSK
	if in.IndexName != nil {
		a.Index = *in.IndexName
		idx, ok := indexes[a.Index]
		if !ok {
			return a, fmt.Errorf("Query on undeclared index %q", a.Index)
		}
		pkAttr, skAttr = idx.PartitionKey, ""
	}
	if in.KeyConditionExpression == nil {
		return a, fmt.Errorf("Query without a key condition")
	}
	cond := *in.KeyConditionExpression
	name := func(n string) string {
		if strings.HasPrefix(n, "#") {
			return in.ExpressionAttributeNames[n]
		}
		return n
	}
	value := func(placeholder string) (string, bool) {
		v, ok := in.ExpressionAttributeValues[placeholder].(*types.AttributeValueMemberS)
		if !ok {
			return "", false
		}
		return v.Value, true
	}
	found := false
	for _, m := range equality.FindAllStringSubmatch(cond, -1) {
		v, ok := value(m[2])
		switch attr := name(m[1]); {
		case !ok:
		case attr == pkAttr:
			a.Partition, found = ParsePartition(v), true
		case attr == skAttr && skAttr != "":
			a.SK, a.SKExact = v, true
		}
	}
	if !found {
		return a, fmt.Errorf("Query whose key condition %q names no %s value", cond, pkAttr)
	}
	if !a.SKExact && skAttr != "" {
		if m := beginsWith.FindStringSubmatch(cond); m != nil && name(m[1]) == skAttr {
			a.SK, _ = value(m[2])
		}
	}
	return a, nil
}

// indexes are the table's declared indexes, by name.
var indexes = func() map[string]app.Index {
	m := map[string]app.Index{}
	for _, ix := range app.Declaration().Table.Indexes {
		m[ix.Name] = ix
	}
	return m
}()

func s(v types.AttributeValue) string {
	if sv, ok := v.(*types.AttributeValueMemberS); ok {
		return sv.Value
	}
	return ""
}
