"""The rules: one AWS CLI invocation (its words, from ``aws`` on) -> what is wrong with it.

Each finding points at the word to fix and says how. What cannot be judged statically (a
placeholder, a high-level command the models do not describe) is recognised and left alone:
a false alarm in a runbook linter teaches people to ignore it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jmespath
from jmespath.exceptions import JMESPathError

from ..suggest import closest, phrase, suggestion
from . import cli_model as model
from . import customizations as custom
from .shell import HOLE, Word
from .values import check_scalar, check_values

_INPUT_OPTIONS = frozenset({"cli-input-json", "cli-input-yaml", "generate-cli-skeleton"})


@dataclass(frozen=True)
class Issue:
    word: Word
    message: str
    hint: str = ""


@dataclass(frozen=True)
class _Given:
    word: Word
    name: str
    values: tuple[Word, ...]


def check_invocation(words: tuple[Word, ...]) -> list[Issue]:
    """``words[0]`` is ``aws``."""
    issues: list[Issue] = []
    rest = list(words[1:])
    command = _command_words(rest)
    given = _options([w for w in rest if not any(w is c for c in command)])
    if not command or command[0].has_hole or command[0].text in custom.HIGH_LEVEL_SERVICES:
        return issues
    service = command[0]
    if service.text not in model.cli_services():
        return [Issue(service, f"unknown AWS CLI service {service.text!r}",
                      suggestion(service.text, model.cli_services(), ignore_case=True,
                                 show="`aws {}`".format, otherwise="see `aws help` for services"))]
    if len(command) < 2 or command[1].has_hole or command[1].text == "help":
        return issues
    name = command[1].text
    label = f"aws {service.text} {name}"
    if name in custom.HIGH_LEVEL_COMMANDS.get(service.text, ()):
        return issues
    if name == "wait":
        return _check_wait(service.text, command[2:], words, given, issues)
    operation = model.operation(service.text, name)
    if operation is None:
        candidates = sorted({*model.operation_names(service.text),
                             *custom.HIGH_LEVEL_COMMANDS.get(service.text, ())})
        hint = suggestion(name, candidates, ignore_case=True,
                          show=f"`aws {service.text} {{}}`".format,
                          otherwise=f"see `aws {service.text} help` for its operations")
        return [Issue(command[1], f"{label}: no such operation in {service.text}", hint)]
    return issues + _check_operation(label, operation, words, given, command[1])


def _check_wait(service: str, command: list[Word], words: tuple[Word, ...],
                given: list[_Given], issues: list[Issue]) -> list[Issue]:
    if not command or command[0].has_hole:
        return issues
    waiter = command[0].text
    api_name = model.waiters(service).get(waiter)
    if api_name is None:
        hint = suggestion(waiter, model.waiters(service), ignore_case=True,
                          show=f"`aws {service} wait {{}}`".format,
                          otherwise=f"see `aws {service} wait help`")
        return [Issue(command[0], f"aws {service} wait: no waiter {waiter!r}", hint)]
    cli_name = next(c for c, a in model.operation_names(service).items() if a == api_name)
    operation = model.operation(service, cli_name)
    assert operation is not None  # a waiter polls an operation of its own service
    return issues + _check_operation(f"aws {service} wait {waiter}", operation, words, given,
                                     command[0])


def _command_words(words: list[Word]) -> list[Word]:
    """The service, the operation and (after ``wait``) the waiter: global options with their
    values may stand before or between them."""
    command: list[Word] = []
    i = 0
    while i < len(words) and len(command) < (3 if command[1:2] and command[1].text == "wait"
                                             else 2):
        text = words[i].text
        if text.startswith("-"):
            name, eq, _ = text[2:].partition("=")
            i += 2 if model.GLOBAL_OPTIONS.get(name) and not eq else 1
            continue
        command.append(words[i])
        i += 1
    return command


def _options(words: list[Word]) -> list[_Given]:
    """Each ``--option`` with the words after it up to the next option."""
    given: list[_Given] = []
    for word in words:
        if word.text.startswith("--") and len(word.text) > 2 and HOLE not in word.text[:3]:
            name, eq, inline = word.text[2:].partition("=")
            values = (Word(inline, word.raw, word.line, word.column),) if eq else ()
            given.append(_Given(word, name, values))
        elif given and not (given[-1].values and "=" in given[-1].word.text):
            given[-1] = _Given(given[-1].word, given[-1].name, (*given[-1].values, word))
    return given


def _check_operation(label: str, operation: model.Operation, words: tuple[Word, ...],
                     given: list[_Given], command_word: Word) -> list[Issue]:
    issues: list[Issue] = []
    seen: dict[str, _Given] = {}
    outfile_free = operation.streaming_output
    for item in given:
        if HOLE in item.name:
            continue
        item = _expand_abbreviation(operation, item)
        option = operation.options.get(item.name)
        if option is None and item.name not in model.GLOBAL_OPTIONS:
            issue, meant = _unknown(label, operation, item)
            issues.append(issue)
            if meant in operation.options:  # one problem is enough: not also "missing --meant"
                seen.setdefault(operation.options[meant].member or meant, item)
            continue
        key = option.member or item.name if option is not None else item.name
        if key in seen:
            first = seen[key].word.text.partition("=")[0]
            also = "" if first == item.word.text.partition("=")[0] else f" (also as {first})"
            issues.append(Issue(item.word, f"{label}: {item.word.text.partition('=')[0]} given "
                                f"twice{also}", "keep one; the CLI would use only the last"))
        seen[key] = item
        # A streaming operation takes one positional argument, the file to write, anywhere.
        found, took_outfile = _check_given(label, option, item, outfile_free)
        outfile_free = outfile_free and not took_outfile
        issues += found
    if not seen.keys() & _INPUT_OPTIONS:
        for required in operation.required:
            member = operation.options[required].member
            if member not in seen and required not in seen:
                issues.append(Issue(command_word, f"{label}: required option --{required} "
                                    "is missing", f"add --{required} VALUE"))
    return issues


def _expand_abbreviation(operation: model.Operation, item: _Given) -> _Given:
    """The CLI's parser (argparse) takes an unambiguous prefix of an option: --filter for
    --filters, --endpoint for --endpoint-url. Such a command works, so it is not flagged."""
    if item.name in operation.options or item.name in model.GLOBAL_OPTIONS:
        return item
    matches = [n for n in (*operation.options, *model.GLOBAL_OPTIONS) if n.startswith(item.name)]
    targets = {operation.options[n].member or n if n in operation.options else n
               for n in matches}
    return _Given(item.word, matches[0], item.values) if len(targets) == 1 else item


def _unknown(label: str, operation: model.Operation, item: _Given) -> tuple[Issue, str]:
    """The issue, and the option the author most likely meant ("" if none is close)."""
    known = [*operation.documented, *model.GLOBAL_OPTIONS]
    glued = max((k for k in known if item.name.startswith(k) and len(item.name) > len(k)),
                key=len, default="")
    if glued in operation.options and operation.options[glued].takes_value:
        value = item.name[len(glued):]
        return Issue(item.word, f"{label}: unknown option --{item.name}: the option --{glued} "
                     f"and its value {value!r} are glued together",
                     f"put a space between them: --{glued} {value}"), glued
    close = closest(item.name, known, ignore_case=True) or ""
    hint = phrase(close, show="--{}".format, otherwise=f"see `{label} help` for its options")
    return Issue(item.word, f"{label}: unknown option --{item.name}", hint), close


def _check_given(label: str, option: model.Option | None, item: _Given,
                 outfile_free: bool) -> tuple[list[Issue], bool]:
    """The issues with one option's values, and whether a stray word was taken as the
    streaming operation's output file."""
    flag = f"--{item.name}"
    values = [v for v in item.values if not v.has_hole or v.text != HOLE]
    takes_value = option.takes_value if option else model.GLOBAL_OPTIONS[item.name]
    if not takes_value:
        if values and option is not None and option.shape is not None:
            base = option.name.removeprefix("no-")
            return [Issue(values[0], f"{label}: {flag} takes no value, but is followed by "
                          f"{values[0].raw!r}", f"write --{base} or --no-{base}")], False
        return [], False
    if not item.values:
        optional = (option.optional_value if option else item.name == "generate-cli-skeleton")
        return ([] if optional else [Issue(item.word, f"{label}: {flag} needs a value",
                                           f"write {flag} VALUE")]), False
    first = item.values[0]
    if option is None or option.shape is None:
        return _check_global(label, item.name, first), False
    extra = values[1:] if option.shape.type_name != "list" else []
    took_outfile = outfile_free and len(extra) == 1
    if extra and not took_outfile:
        return [Issue(extra[0], f"{label}: unexpected argument {extra[0].raw!r} after {flag} "
                      f"{first.raw}", "quote a value that contains spaces; an option takes "
                      "one value unless it is a list")], False
    hint = f"see {flag} in `{label} help`"
    if item.name == "statistics" and operation_has(label, "extended-statistics") and any(
            re.fullmatch(r"p\d+(\.\d+)?", v.text) for v in values):
        hint = "percentiles (p99, p95.5) go in --extended-statistics"
    return [Issue(first, f"{label}: {flag} {problem}", hint) for problem in
            check_values(option.shape, [v.text for v in item.values])], \
        took_outfile


def operation_has(label: str, option: str) -> bool:
    parts = label.split()
    found = model.operation(parts[1], parts[2]) if len(parts) == 3 else None
    return found is not None and option in found.options


def _check_global(label: str, name: str, value: Word) -> list[Issue]:
    if value.has_hole:
        return []
    if name == "query":
        try:
            jmespath.compile(value.text)
        except JMESPathError as exc:
            return [Issue(value, f"{label}: --query is not valid JMESPath: "
                          f"{str(exc).splitlines()[0]}",
                          "check brackets and quotes; literals go in backquotes")]
        return []
    choices = model.GLOBAL_CHOICES.get(name)
    if choices and value.text not in choices:
        meant = closest(value.text, choices, ignore_case=True) or choices[0]
        return [Issue(value, f"{label}: --{name} {value.text!r} is not one of "
                      + ", ".join(choices), f"use --{name} {meant}")]
    if name in model.GLOBAL_INTEGERS or name in ("max-items", "page-size"):
        from botocore.model import Shape

        return [Issue(value, f"{label}: --{name} {p}") for p in
                check_scalar(Shape("n", {"type": "integer"}), value.text)]
    return []
