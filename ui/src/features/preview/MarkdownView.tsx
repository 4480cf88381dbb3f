import Markdown, { type Components } from "react-markdown";

/**
 * Markdown as React elements (react-markdown: no `innerHTML` anywhere). Raw HTML in the file
 * is dropped, links are shown with their address but never navigate the app, and images are
 * replaced by their description (a preview fetches nothing the file points at).
 */
const components: Components = {
  a: ({ children, href }) => (
    <span className="md-link" title={href}>
      {children}
    </span>
  ),
  img: ({ alt }) => <span className="md-image">[{alt}]</span>,
};

export function MarkdownView({ source }: { source: string }) {
  return (
    <div className="preview-markdown" data-testid="preview-markdown">
      <Markdown skipHtml components={components}>
        {source}
      </Markdown>
    </div>
  );
}
