package demo

import (
	_ "embed"
	"html/template"
	"time"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"age": func(d time.Duration) string { return d.Round(100 * time.Millisecond).String() },
}).Parse(pageHTML))

// pageData is what the product page template renders.
type pageData struct {
	Product  Product
	Recs     Recs
	Status   pageStatus
	Controls bool
	Phases   []string
	Path     string
	MaxStale time.Duration
}

// Why says why the recommendations are not fresh; empty when they are.
func (d pageData) Why() string { return describe(d.Recs.Cause) }

// SourceLabel is the heading of the recommendations section.
func (d pageData) SourceLabel() string {
	switch d.Recs.Source {
	case Fresh:
		return "Customers also bought"
	case Cache:
		return "Customers also bought"
	case Popular:
		return "Popular in " + d.Product.Category
	}
	return ""
}
