package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/go-playground/validator/v10"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
)

// newValidator returns a validator that names fields by their JSON names.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	// A couple names each concern at most once, so never more than there are.
	v.RegisterAlias("maxconcerns", "max="+strconv.Itoa(len(library.Concerns())))
	for tag, f := range formats {
		if err := v.RegisterValidation(tag, func(fl validator.FieldLevel) bool { return f.valid(fl.Field().String()) }); err != nil {
			panic(err)
		}
	}
	return v
}

// format is a shape of text a field must have, with the reason told when it has not.
type format struct {
	valid  func(string) bool
	reason string
}

// formats are the validation tags for billing codes and identifiers.
var formats = map[string]format{
	"cpt":   {regexp.MustCompile(`^[0-9]{4}[0-9A-Z]$`).MatchString, "must be a five-character CPT code such as 90847"},
	"npi":   {regexp.MustCompile(`^[0-9]{10}$`).MatchString, "must be a ten-digit National Provider Identifier"},
	"taxid": {regexp.MustCompile(`^[0-9]{2}-[0-9]{7}$`).MatchString, "must be an employer identification number like 12-3456789"},
	"icd10": {store.ValidICD10, "must be an ICD-10-CM code such as Z63.0"},
}

// bindJSON decodes exactly one JSON object into dst, rejecting unknown fields and trailing data,
// then validates it. It answers the request itself and returns false on any failure.
func (s *Server) bindJSON(c *gin.Context, dst any) bool {
	if err := decodeStrict(c.Request.Body, dst); err != nil {
		fail(c, err)
		return false
	}
	if err := s.validate.Struct(dst); err != nil {
		fail(c, validationError(err))
		return false
	}
	return true
}

func decodeStrict(body io.Reader, dst any) error {
	data, err := io.ReadAll(body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return fault.New(fault.TooLarge, "The request body is too large.")
	}
	if err != nil {
		return fault.New(fault.BadRequest, "The request body could not be read.")
	}
	if !utf8.Valid(data) {
		return fault.New(fault.BadRequest, "The request body is not valid UTF-8 text.")
	}
	// PostgreSQL text cannot hold NUL characters; refuse them here rather than fail later.
	if bytes.Contains(data, []byte(`\u0000`)) {
		return fault.New(fault.BadRequest, "The request body contains a NUL character.")
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] != '{' {
		return fault.New(fault.BadRequest, "The request body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err = dec.Decode(dst)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			return fault.New(fault.BadRequest, "The request body must hold a single JSON object.")
		}
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return fault.New(fault.BadRequest, "The request body is empty; a JSON object was expected.")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return fault.New(fault.BadRequest, "The request body must be a JSON object.")
		}
		return fault.InvalidField(field, "must be a "+jsonKind(typeErr.Type))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return fault.New(fault.BadRequest, "The request body is not valid JSON.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &fault.Error{Code: fault.BadRequest, Field: field,
			Message: fmt.Sprintf("%s is not a field this request takes.", field)}
	default:
		return fault.New(fault.BadRequest, "The request body could not be read as JSON.")
	}
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "whole number"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "list"
	default:
		return "JSON object"
	}
}

func validationError(err error) error {
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) || len(verrs) == 0 {
		return fault.New(fault.Invalid, "The request is not valid.")
	}
	fe := verrs[0]
	field := fe.Field()
	var reason string
	switch fe.ActualTag() {
	case "required":
		reason = "is required"
	case "email":
		reason = "must be an email address"
	case "min":
		reason = "must be at least " + fe.Param() + lengthUnit(fe)
	case "max":
		reason = "must be at most " + fe.Param() + lengthUnit(fe)
	case "oneof":
		reason = "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "gte":
		reason = "must be at least " + fe.Param()
	case "lte":
		reason = "must be at most " + fe.Param()
	case "datetime":
		reason = "must be a date like 2025-03-31"
	default:
		reason = "is not valid"
		if f, ok := formats[fe.Tag()]; ok {
			reason = f.reason
		}
	}
	return fault.InvalidField(field, reason)
}

func lengthUnit(fe validator.FieldError) string {
	switch fe.Kind() {
	case reflect.String:
		return " characters"
	case reflect.Slice, reflect.Map, reflect.Array:
		return " items"
	}
	return ""
}

// queryChoice reads an optional query parameter that must be one of choices; it is "" when
// absent. Any other value is answered 422 naming the parameter, and false is returned.
func queryChoice(c *gin.Context, name string, choices ...string) (string, bool) {
	v := c.Query(name)
	if v != "" && !slices.Contains(choices, v) {
		fail(c, fault.InvalidField(name, "must be one of: "+strings.Join(choices, ", ")))
		return "", false
	}
	return v, true
}

// queryBool reads an optional true or false query parameter; absent is false.
func queryBool(c *gin.Context, name string) (value, ok bool) {
	v, ok := queryChoice(c, name, "true", "false")
	return v == "true", ok
}

// pathID reads a positive integer path parameter; anything else is answered as not found.
func pathID(c *gin.Context, name string) (int64, bool) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		fail(c, fault.ErrNotFound)
		return 0, false
	}
	return id, true
}
