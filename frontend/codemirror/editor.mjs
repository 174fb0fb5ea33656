// The playground's editor: every <textarea data-editor="python"> gets a CodeMirror 6 editor
// in front of it. The textarea stays in the form and is kept in sync, so a plain POST and an
// htmx POST both send what the editor shows; without JavaScript the textarea is the editor.
import { EditorState } from "@codemirror/state";
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { indentUnit, syntaxHighlighting, bracketMatching, indentOnInput } from "@codemirror/language";
import { python } from "@codemirror/lang-python";
import { classHighlighter } from "@lezer/highlight";

function attach(textarea) {
  if (textarea.dataset.editorReady) return;
  textarea.dataset.editorReady = "1";
  const label = document.querySelector(`label[for="${textarea.id}"]`);
  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightActiveLine(),
        drawSelection(),
        history(),
        indentOnInput(),
        bracketMatching(),
        indentUnit.of("    "),
        EditorState.tabSize.of(4),
        python(),
        // Colours come from site.css (.tok-* classes), so light and dark follow the page.
        syntaxHighlighting(classHighlighter),
        // Tab indents; Escape then Tab (CodeMirror's tab-focus mode) moves focus on.
        keymap.of([indentWithTab, ...defaultKeymap, ...historyKeymap]),
        EditorView.contentAttributes.of({
          "aria-label": label ? label.textContent.trim() : "Code",
          "aria-describedby": "editor-keys",
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) textarea.value = update.state.doc.toString();
        }),
      ],
    }),
  });
  view.dom.classList.add("code-editor");
  textarea.classList.add("has-editor");
  textarea.setAttribute("tabindex", "-1");
  textarea.setAttribute("aria-hidden", "true");
  // A hidden required field would block the submit with no visible message; the server checks.
  textarea.required = false;
  textarea.insertAdjacentElement("afterend", view.dom);
  if (label) label.addEventListener("click", () => view.focus());
  textarea.editorView = view;
}

function attachAll(root) {
  root.querySelectorAll('textarea[data-editor="python"]').forEach(attach);
}

document.addEventListener("DOMContentLoaded", () => attachAll(document));
// htmx swaps the workbench after a run: give the new textareas their editors too.
document.addEventListener("htmx:load", (event) => attachAll(event.detail.elt));
