"""The Go text/template subset used by --format."""

from __future__ import annotations

from typing import Any

import pytest

from skiff.cli.format.gotemplate import (
    Context,
    NilList,
    NilMap,
    Struct,
    Template,
    TemplateExecError,
    TemplateParseError,
)
from skiff.cli.format.gotemplate.values import format_float, go_json

DATA: dict[str, Any] = {
    "Name": "web", "Count": 3, "Ratio": 0.5, "Big": 1e6, "On": True, "Off": False,
    "Labels": {"b": "2", "a": "1", "com.example": "x"}, "List": ["x", "y", "z"],
    "Nested": {"Inner": {"Value": "deep"}}, "Empty": "", "Nil": None, "Items": [],
}


def render(text: str, data: Any = DATA, **kwargs: Any) -> str:
    return Template(text, **kwargs).execute(data)


@pytest.mark.parametrize(("text", "expected"), [
    ("{{.Name}}", "web"),
    ("plain text", "plain text"),
    ("{{.Nested.Inner.Value}}", "deep"),
    ("{{.Count}} {{.Ratio}} {{.Big}} {{.On}}", "3 0.5 1e+06 true"),
    ("{{.Labels}}", "map[a:1 b:2 com.example:x]"),
    ("{{.List}}", "[x y z]"),
    ("{{.Nil}}", "<no value>"),
    ("{{.Missing}}", "<no value>"),
    ("{{json .}}", '{"Big":1000000,"Count":3,"Empty":"","Items":[],"Labels":{"a":"1","b":"2",'
                   '"com.example":"x"},"List":["x","y","z"],"Name":"web","Nested":{"Inner":'
                   '{"Value":"deep"}},"Nil":null,"Off":false,"On":true,"Ratio":0.5}'),
    ("{{json .Labels}}", '{"a":"1","b":"2","com.example":"x"}'),
    ("{{json .Name}}", '"web"'),
    ('{{index .Labels "com.example"}}', "x"),
    ("{{index .List 1}}", "y"),
    ('{{index .Labels "nope"}}', ""),
    ("{{.Labels.a}}", "1"),
    ("{{lower \"ABC\"}} {{upper .Name}}", "abc WEB"),
    ('{{join .List ","}}', "x,y,z"),
    ('{{join (split "a:b" ":") "-"}}', "a-b"),
    ("{{println .Name}}", "web\n"),
    ('{{println "a" 1}}', "a 1\n"),
    ('{{print "a" 1 2 "b"}}', "a1 2b"),
    ('{{printf "%s=%d %5s|%-4s|%q" .Name .Count "r" "l" "q"}}', 'web=3     r|l   |"q"'),
    ("{{len .List}} {{len .Labels}} {{len .Name}}", "3 3 3"),
    ("{{title \"hello world\"}}", "Hello World"),
    ("{{truncate .Name 2}}|{{pad .Name 1 2}}|", "we| web  |"),
    ("{{.Name | upper | lower}}", "web"),
    ("{{if .On}}yes{{end}}{{if .Off}}no{{end}}", "yes"),
    ("{{if .Empty}}a{{else}}b{{end}}", "b"),
    ("{{if eq .Count 1}}one{{else if eq .Count 3}}three{{else}}many{{end}}", "three"),
    ("{{if and .On (gt .Count 2)}}ok{{end}}", "ok"),
    ("{{if or .Off .Empty}}x{{else}}none{{end}}", "none"),
    ("{{if not .Off}}neg{{end}}", "neg"),
    ("{{if ne .Name \"db\"}}ne{{end}}", "ne"),
    ("{{if eq .Name \"x\" \"web\"}}any{{end}}", "any"),
    ("{{range .List}}[{{.}}]{{end}}", "[x][y][z]"),
    ("{{range $i, $v := .List}}{{$i}}={{$v}} {{end}}", "0=x 1=y 2=z "),
    ("{{range $k, $v := .Labels}}{{$k}}:{{$v}};{{end}}", "a:1;b:2;com.example:x;"),
    ("{{range .Items}}x{{else}}empty{{end}}", "empty"),
    ("{{range .List}}{{if eq . \"y\"}}{{break}}{{end}}{{.}}{{end}}", "x"),
    ("{{range .List}}{{if eq . \"y\"}}{{continue}}{{end}}{{.}}{{end}}", "xz"),
    ("{{range .List}}{{$.Name}}{{end}}", "webwebweb"),
    ("{{with .Nested.Inner}}{{.Value}}{{end}}", "deep"),
    ("{{with .Empty}}x{{else}}nothing{{end}}", "nothing"),
    ("{{$n := .Name}}{{$n}}-{{$n}}", "web-web"),
    ("{{$x := 1}}{{$x = 2}}{{$x}}", "2"),
    ("a  {{- .Name -}}  b", "awebb"),
    ("{{/* a comment */}}c", "c"),
    ("{{- /* trimmed */ -}} d", "d"),
    ("{{(index .List 0)}}", "x"),
    ("{{slice .Name 1 2}}", "e"),
])
def test_renders_like_go(text: str, expected: str) -> None:
    assert render(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("{{foo}}", 'template: :1: function "foo" not defined'),
    ("{{.Name", "template: :1: unclosed action"),
    ("{{if .On}}x", "template: :1: unexpected EOF"),
    ("{{end}}", "template: :1: unexpected {{end}}"),
    ("{{$x}}", 'template: :1: undefined variable "$x"'),
    ("x\n{{break}}", "template: :2: {{break}} outside {{range}}"),
    ("{{}}", "template: :1: missing value for command"),
])
def test_parse_errors_use_go_wording(text: str, message: str) -> None:
    with pytest.raises(TemplateParseError) as info:
        Template(text)
    assert str(info.value) == message


@pytest.mark.parametrize(("text", "message"), [
    ("{{.Missing}}", 'template: :1:2: executing "" at <.Missing>: map has no entry for key '
                     '"Missing"'),
    ("{{.Nested.Nope}}", 'template: :1:9: executing "" at <.Nested.Nope>: map has no entry '
                         'for key "Nope"'),
    ("{{index .List 5}}", 'template: :1:2: executing "" at <index .List 5>: error calling '
                          "index: index out of range: 5"),
    ("{{lower}}", 'template: :1:2: executing "" at <lower>: wrong number of args for lower: '
                  "want 1 got 0"),
    ("{{.Nil.Field}}", 'template: :1:6: executing "" at <.Nil.Field>: nil pointer evaluating '
                       "interface {}.Field"),
    ("{{.Name.Field}}", 'template: :1:7: executing "" at <.Name.Field>: can\'t evaluate field '
                        "Field in type string"),
    ('{{"a" 1}}', 'template: :1:2: executing "" at <"a">: can\'t give argument to non-function'
                  ' "a"'),
])
def test_exec_errors_use_go_wording(text: str, message: str) -> None:
    with pytest.raises(TemplateExecError) as info:
        render(text, missingkey_error=True)
    assert str(info.value) == message


class Row(Context):
    type_name = "*formatter.RowContext"

    def ID(self) -> str:
        return "abc"

    def Label(self, name: str) -> str:
        return {"k": "v"}.get(name, "")

    def template_json(self) -> Any:
        return {"ID": "<abc>"}


def test_context_fields_methods_and_unknown_fields() -> None:
    assert render('{{.ID}} {{.Label "k"}}', Row()) == "abc v"
    assert render("{{json .}}", Row()) == '{"ID":"\\u003cabc\\u003e"}'  # MarshalJSON escapes
    with pytest.raises(TemplateExecError) as info:
        render("{{.Nope}}", Row())
    assert str(info.value).endswith("can't evaluate field Nope in type *formatter.RowContext")


def test_structs_keep_field_order_and_print_like_go_structs() -> None:
    state = Struct({"Status": "running", "Running": True, "Pid": 42})
    assert render("{{json .}}", state) == '{"Status":"running","Running":true,"Pid":42}'
    assert render("{{.}}", state) == "{running true 42}"
    typed = Struct({"A": 1}, type_name="system.dockerInfo")
    with pytest.raises(TemplateExecError, match="can't evaluate field B in type system"):
        render("{{.B}}", typed)


def test_nil_slices_and_maps_print_like_go() -> None:
    data = {"Cmd": NilList(), "Labels": NilMap()}
    assert render("{{.Cmd}} {{.Labels}} {{json .Cmd}} {{json .Labels}}", data) == \
        "[] map[] null null"


def test_template_name_appears_in_errors() -> None:
    with pytest.raises(TemplateExecError) as info:
        Template("{{.X.Y}}", name="version").execute({"X": None})
    assert str(info.value).startswith('template: version:1:4: executing "version" at <.X.Y>')


@pytest.mark.parametrize(("value", "text"), [
    (0.0, "0"), (0.5, "0.5"), (1e6, "1e+06"), (123456.0, "123456"),
    (1073741824.0, "1.073741824e+09"), (0.0001, "0.0001"), (0.00001, "1e-05"), (-2.5, "-2.5"),
])
def test_floats_print_like_fmt(value: float, text: str) -> None:
    assert format_float(value) == text


def test_json_floats_and_unicode() -> None:
    assert go_json({"f": 1e6, "g": 1e21, "s": "é<>"}) == '{"f":1000000,"g":1e+21,"s":"é<>"}'
